/** Scraping a virtual node's metrics endpoint (demo/hbtest/metrics.ts). */
export * from '../../demo/hbtest/metrics.ts'
