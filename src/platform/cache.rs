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

#[cfg(test)]
mod tests {
    use super::*;

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
}
