// Filled in by the screen feature (issue 3).
export const screenClientEvents = {};
export const screenServerEvents = {};
