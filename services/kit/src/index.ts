export * from './config.js';
export * from './log.js';
export * from './http.js';
export * from './lifecycle.js';
export * from './auth.js';
export * from './principal.js';
export * from './sqlite.js';
export * from './net.js';
