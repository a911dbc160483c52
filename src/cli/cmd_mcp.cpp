// patina mcp: a Model Context Protocol server on stdin/stdout, for AI coding
// assistants (Claude Code, Cursor, Gemini CLI, OpenCode...). See docs/mcp.md.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "mcp/server.hpp"

namespace patina::cli {

void add_mcp_command(CLI::App& app, context& ctx) {
  auto* cmd = app.add_subcommand(
      "mcp",
      "Serve the project's knowledge to AI assistants: an MCP server speaking JSON-RPC on stdin/stdout "
      "(see docs/mcp.md)");
  cmd->callback([&ctx] { ctx.set_action([&ctx] { return serve_mcp(ctx); }); });
}

}  // namespace patina::cli
