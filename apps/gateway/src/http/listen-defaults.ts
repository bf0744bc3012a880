/** Default port. */
export const DEFAULT_PORT = 7787;
/** Default bind host (loopback). */
export const DEFAULT_HOST = '127.0.0.1';
