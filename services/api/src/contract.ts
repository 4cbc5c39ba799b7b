/** The API's wire types live in contracts/ (shared with the renderer, main and the e2e suite). */
export * from '@msi/contracts/api';
