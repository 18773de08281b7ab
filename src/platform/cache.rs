//! A value computed at most once per period and shared by every request (e.g. the public
//! open-data files): concurrent requests wait for the one computation instead of repeating it.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Slot = Option<(Instant, Arc<dyn Any + Send + Sync>)>;

/// One cached value of any type, per application.
#[derive(Default)]
pub struct Cached {
    slot: tokio::sync::Mutex<Slot>,
}

impl Cached {
    /// The value if computed less than `max_age` ago, else a fresh one from `make` (an error
    /// leaves the old value in place and is returned).
    pub async fn get_or_make<T, E, F, Fut>(&self, max_age: Duration, make: F) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((made, value)) = slot.as_ref()
            && made.elapsed() < max_age
            && let Ok(v) = Arc::clone(value).downcast::<T>()
        {
            return Ok(v);
        }
        let value = Arc::new(make().await?);
        *slot = Some((Instant::now(), value.clone() as Arc<dyn Any + Send + Sync>));
        Ok(value)
    }
}

/// Small values kept per key for a while (e.g. the count beside "Da fare" per person): a
/// value older than the caller's limit is not returned; entries are pruned as the map grows.
pub struct PerKey<V: Clone> {
    map: std::sync::Mutex<std::collections::HashMap<i64, (Instant, V)>>,
}

impl<V: Clone> Default for PerKey<V> {
    fn default() -> Self {
        PerKey {
            map: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl<V: Clone> PerKey<V> {
    /// The value of `key` if put less than `max_age` ago.
    pub fn get(&self, key: i64, max_age: Duration) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(&key)
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: i64, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 10_000 {
                map.retain(|_, (at, _)| at.elapsed() < Duration::from_secs(600));
            }
            map.insert(key, (Instant::now(), value));
        }
    }

    pub fn forget(&self, key: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&key);
        }
    }
}

/// One value kept with the version of the data it was made from (e.g. the registry's
/// organisations and services): handed back only while the caller reads the same version
/// from the database, so a change committed by any instance is seen at the next request.
#[derive(Default)]
pub struct Versioned {
    slot: std::sync::Mutex<Option<(i64, Arc<dyn Any + Send + Sync>)>>,
}

impl Versioned {
    /// The value kept for `version`, if it is of type `T`.
    pub fn get<T: Any + Send + Sync>(&self, version: i64) -> Option<Arc<T>> {
        let slot = self.slot.lock().ok()?;
        let (kept, value) = slot.as_ref()?;
        if *kept != version {
            return None;
        }
        Arc::clone(value).downcast::<T>().ok()
    }

    /// Keeps `value` as made from `version` (read before the data it was made from, so that a
    /// change committed in between makes the next reader make it again).
    pub fn put<T: Any + Send + Sync>(&self, version: i64, value: Arc<T>) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((version, value as Arc<dyn Any + Send + Sync>));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_per_key_is_kept_for_its_age_and_forgotten_on_demand() {
        let c = PerKey::<usize>::default();
        assert_eq!(c.get(1, Duration::from_secs(60)), None);
        c.put(1, 3);
        c.put(2, 5);
        assert_eq!(c.get(1, Duration::from_secs(60)), Some(3));
        assert_eq!(c.get(1, Duration::ZERO), None, "too old for this caller");
        c.forget(1);
        assert_eq!(c.get(1, Duration::from_secs(60)), None);
        assert_eq!(c.get(2, Duration::from_secs(60)), Some(5));
    }

    #[tokio::test]
    async fn a_value_is_made_once_per_period() {
        let c = Cached::default();
        let mut made = 0;
        for _ in 0..3 {
            let v = c
                .get_or_make(Duration::from_secs(60), || {
                    made += 1;
                    async { Ok::<_, ()>(42u32) }
                })
                .await
                .unwrap();
            assert_eq!(*v, 42);
        }
        assert_eq!(made, 1);
        let v = c
            .get_or_make(Duration::ZERO, || async { Ok::<_, ()>(7u32) })
            .await
            .unwrap();
        assert_eq!(*v, 7, "an expired value is made again");
    }

    #[test]
    fn a_versioned_value_holds_only_for_its_version() {
        let c = Versioned::default();
        assert!(c.get::<u32>(1).is_none(), "nothing kept yet");
        c.put(1, Arc::new(42u32));
        assert_eq!(c.get::<u32>(1).as_deref(), Some(&42));
        assert!(c.get::<u32>(2).is_none(), "the data changed since");
        assert!(
            c.get::<String>(1).is_none(),
            "another type is not this value"
        );
        c.put(2, Arc::new(7u32));
        assert_eq!(c.get::<u32>(2).as_deref(), Some(&7));
        assert!(c.get::<u32>(1).is_none(), "only the last version is kept");
    }
}
