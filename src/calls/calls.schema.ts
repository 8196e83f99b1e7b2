// Filled in by the calls feature (issue 3).
export const callClientEvents = {};
export const callServerEvents = {};
