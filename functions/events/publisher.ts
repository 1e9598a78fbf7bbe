// Placeholder replaced by the feature implementation in progress.
export const handler = async () => ({ batchItemFailures: [] as { itemIdentifier: string }[] });
