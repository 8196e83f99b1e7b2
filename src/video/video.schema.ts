// Filled in by the video feature (issue 3).
export const videoClientEvents = {};
export const videoServerEvents = {};
