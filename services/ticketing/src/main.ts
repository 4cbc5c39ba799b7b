// Entry point of the ticketing service; see issues.
export {};
