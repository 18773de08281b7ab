# Messages of the JSON API (/api/v1) and of service errors.
api-error-token = A valid API token is needed (header Authorization: Bearer satis_…).
api-error-token-expired = The API token has expired: ask an administrator to create a new one (satis token create).
api-error-scope = The token does not have the scope this operation needs.
api-error-media-type = The request body must be JSON (Content-Type: application/json).
api-error-body = The request body is not valid: check the field named.
api-error-query = A request parameter is not valid: check the parameter named.
api-error-if-match = The If-Match header with the ETag last read is needed: without it someone else's change could be lost.
api-error-period = The period is not valid: it must run forwards and last ten years at most.
api-error-idempotency-key = The idempotency key must have 1 to 100 visible ASCII characters.
api-error-idempotency-reused = This idempotency key was already used for a different request.
api-error-code = Unknown code in the field named.
error-503 = The service is busy right now. Nothing was saved: try again in a few seconds.
error-storage-full = Storage is full. Nothing was saved: tell the system administrators and try again later.
api-error-limit = The number of items per page must be between 1 and 500.
api-error-cursor = This cursor does not belong to this list (or came with offset): start again from the first page or follow the rel="next" link.
