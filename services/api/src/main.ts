// Entry point of the api service; see issues.
export {};
