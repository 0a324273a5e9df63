/** The server's release, reported by `GET /v1/health`. */
export const WEFT_VERSION = '0.1.0';
