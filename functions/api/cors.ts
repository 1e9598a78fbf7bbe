/**
 * The API's CORS policy, shared by the CDK HTTP API (lib/constructs/http-api.ts) and the local
 * gateway (local/gateway.ts) so both answer browsers the same way. Allowed origins are deployment
 * configuration (CDK context `corsOrigins`, locally CORS_ORIGINS); these defaults suit local
 * front-end development.
 */
export const CORS_DEFAULT_ORIGINS = ['http://localhost:3000', 'http://localhost:5173'];

/** Request headers browsers may send cross-origin (conditional writes and idempotent POSTs). */
export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'if-match'];

/**
 * Response headers browser code may read: optimistic concurrency (etag), created resources
 * (location), idempotent replays, back-off hints (retry-after; an API key's ratelimit and
 * ratelimit-policy) and the request id to quote in a bug report.
 */
export const CORS_EXPOSE_HEADERS = ['etag', 'location', 'idempotent-replayed', 'retry-after', 'x-request-id', 'ratelimit', 'ratelimit-policy'];

export const CORS_MAX_AGE_SECONDS = 3600;
