// A test that holds its thread (spawnSync, a simulation run in process) holds vitest's own
// messages back with it, and a chain of such tests longer than a minute makes vitest's RPC to
// the runner time out (an unhandled error that fails the run with every test passed). A turn of
// the event loop after each test lets those messages through.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
