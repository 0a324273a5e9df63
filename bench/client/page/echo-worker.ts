// The raw postMessage floor: answers every message with the same data, no framing.
self.onmessage = (event: MessageEvent) => self.postMessage(event.data);
