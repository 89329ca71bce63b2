/** True when web/dist exists and is newer than the dashboard's sources. */
export function webIsCurrent(): boolean;
/** Runs `vite build` in web/; true on success. */
export function buildWeb(): boolean;
