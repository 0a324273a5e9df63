/// <reference types="vite/client" />

interface Window {
  /** The page's weft client, for the browser console and for tests (DESIGN §8). */
  weft?: import('./demo-client.ts').DemoClient;
}
