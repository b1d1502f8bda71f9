/** One section of `npm run bench`: its Markdown for bench/results.md (also printed) and whether every floor held. */
export interface BenchPart { title: string; markdown: string; pass: boolean }
