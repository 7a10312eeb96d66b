#pragma once
// Each subcommand lives in its own file (cmd_<name>.cpp) and registers itself on the top-level app.
#include <CLI/CLI.hpp>

namespace rwkvs::app {

}  // namespace rwkvs::app
