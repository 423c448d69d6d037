export { installTables, layoutTables, DEFAULT_RSDP_ADDRESS, type InstallOptions, type InstalledTables, type PlacedTable } from './install-tables.js';
export { walkGuestTables, type GuestTables, type FoundTable } from './walk-tables.js';
