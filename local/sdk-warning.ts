/**
 * Imported first by the local entry points (`npm start`, `npm run job`): the AWS SDK for
 * JavaScript warns once per process that its releases after early 2027 need Node.js ≥ 22. The
 * deployed functions run on Node.js 24 (lib/constructs/feature-function.ts), and locally Node 20
 * is still supported, so on a developer's terminal the notice is noise. The SDK's own switch
 * (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) turns it off, for the local runtime only;
 * set it to `false` to see the warning anyway.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
