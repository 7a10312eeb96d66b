#pragma once
#include <string>

namespace rwkvs {

// Reads a whole file. Errors name it and say what it was meant to be ('what', e.g. "data file"):
// missing, a directory, unreadable.
std::string read_file_bytes(const std::string& path, const std::string& what);

}  // namespace rwkvs
