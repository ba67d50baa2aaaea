// Request limits the server applies and clients keep to. No imports: a client that needs
// only these (\`@photogram/client\`) takes them from \`@photogram/contracts/limits\`
// without bundling the schemas.

/** The largest JSON request body the API reads (uploads have their own limit). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/**
 * The most calls one batched request may carry (tRPC's `maxBatchSize`); clients batch at
 * most this many (`httpBatchLink`'s `maxItems`), so a page that fires many queries at
 * once sends several requests rather than one the server refuses.
 */
export const MAX_BATCH_CALLS = 50;
