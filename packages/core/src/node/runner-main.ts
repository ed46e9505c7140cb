// Runner process entry; filled in by the engine work.
export {};
