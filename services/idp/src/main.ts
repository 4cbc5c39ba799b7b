// Entry point of the idp service; see issues.
export {};
