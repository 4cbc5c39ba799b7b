// Entry point of the organizations service; see issues.
export {};
