/** The lab's throwaway MariaDB (demo/mariadb.ts); a tap Test is its scope. */
export { type MariaDB, type MariaDBOptions, createMariadb, mariadb, removeMariadb } from '../../demo/mariadb.ts'
