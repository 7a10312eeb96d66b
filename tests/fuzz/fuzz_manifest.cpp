// libFuzzer target: parse_manifest on arbitrary bytes must either return well-formed entries or
// throw rwkvs::Error naming the manifest; never crash, hang or leak.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "src/io/manifest.h"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();  // an invariant broke: libFuzzer saves the input as a crash
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto entries = rwkvs::parse_manifest(text, "fuzz.jsonl", "/base", /*check_files=*/false);
    require(!entries.empty());
    size_t previous_line = 0;
    for (const rwkvs::ManifestEntry& e : entries) {
      require(e.line > previous_line);
      previous_line = e.line;
      require(!e.audio_path.empty() && e.audio_path.find('\0') == std::string::npos);
      require(e.label.has_value() || e.text.has_value());
      require(!e.label || !e.label->empty());
      require(std::isfinite(e.offset) && e.offset >= 0);
      require(!e.duration || (std::isfinite(*e.duration) && *e.duration >= 0));
    }
  } catch (const rwkvs::Error& e) {
    require(std::string_view(e.what()).starts_with("manifest 'fuzz.jsonl'"));
  }
  return 0;
}
