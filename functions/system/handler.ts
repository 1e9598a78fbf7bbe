// Placeholder replaced by the feature implementation in progress.
export const handler = async () => ({ statusCode: 503, body: '' });
