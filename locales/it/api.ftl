# Messaggi dell'API JSON (/api/v1) e degli errori di servizio.
api-error-token = Serve un token API valido (intestazione Authorization: Bearer satis_…).
api-error-token-expired = Il token API è scaduto: chiedi a un amministratore di crearne uno nuovo (satis token create).
api-error-scope = Il token non ha l'ambito richiesto da questa operazione.
api-error-media-type = Il corpo della richiesta deve essere JSON (Content-Type: application/json).
api-error-body = Il corpo della richiesta non è valido: controlla il campo indicato.
api-error-query = Un parametro della richiesta non è valido: controlla il parametro indicato.
api-error-if-match = Serve l'intestazione If-Match con l'ETag letto per ultimo: senza, una modifica altrui potrebbe andare persa.
api-error-period = Il periodo non è valido: deve andare in avanti e durare al massimo dieci anni.
api-error-idempotency-key = La chiave di idempotenza deve avere da 1 a 100 caratteri ASCII visibili.
api-error-idempotency-reused = Questa chiave di idempotenza è già stata usata per una richiesta diversa.
api-error-code = Codice sconosciuto nel campo indicato.
error-503 = Il servizio è momentaneamente occupato. Nulla è stato salvato: riprova tra qualche secondo.
error-storage-full = Lo spazio di archiviazione è esaurito. Nulla è stato salvato: avvisa l'amministrazione del sistema e riprova più tardi.
api-error-limit = Il numero di elementi per pagina deve essere tra 1 e 500.
api-error-cursor = Questo cursore non è di questa lista (oppure è stato inviato insieme a offset): riparti dalla prima pagina o segui il link rel="next".
