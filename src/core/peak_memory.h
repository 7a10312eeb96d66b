#pragma once
// The process's memory high-water mark, for reporting what a run really needed.
namespace rwkvs {

// Peak resident set size in MiB (VmHWM from /proc/self/status); 0 where it cannot be read.
double peak_rss_mb();

}  // namespace rwkvs
