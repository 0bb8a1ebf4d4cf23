import { openMessaging, openStorage } from '../../src/engines/index.js';
import type { MessagingEngine, StorageEngine } from '../../src/ports/index.js';
import { tempDir } from '../support/system.js';

/**
 * Every engine the contract suites run against: adding an engine is adding a line here.
 * `open*` must give a fresh, empty instance each call (a new temp dir, a new schema, new stream names).
 */
export interface EngineUnderTest {
  readonly name: string;
  openMessaging(options: { maxAttempts: number }): Promise<MessagingEngine>;
  openStorage(): Promise<StorageEngine>;
  /** Contract cases this engine cannot meet, each with the reason; an empty list is the goal. */
  readonly skip: Readonly<Record<string, string>>;
}

export const ENGINES: readonly EngineUnderTest[] = [
  {
    name: 'sqlite',
    openMessaging: async (options) => openMessaging(`sqlite:${tempDir()}`, options),
    openStorage: async () => openStorage(`sqlite:${tempDir()}`),
    skip: {},
  },
];
