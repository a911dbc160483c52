// Registration of the CLI's subcommands: one file per subcommand (cmd_<name>.cpp),
// each adding itself to the app and setting the context's action when chosen.
#pragma once

namespace CLI {
class App;
}

namespace patina::cli {

class context;

void add_init_command(CLI::App& app, context& ctx);
void add_sql_command(CLI::App& app, context& ctx);
void add_belief_command(CLI::App& app, context& ctx);
void add_observe_command(CLI::App& app, context& ctx);
void add_search_command(CLI::App& app, context& ctx);
void add_status_command(CLI::App& app, context& ctx);
void add_scrape_command(CLI::App& app, context& ctx);
void add_symbol_command(CLI::App& app, context& ctx);
void add_mcp_command(CLI::App& app, context& ctx);
void add_embeddings_command(CLI::App& app, context& ctx);
void add_sync_command(CLI::App& app, context& ctx);
void add_migrate_command(CLI::App& app, context& ctx);

inline void register_commands(CLI::App& app, context& ctx) {
  add_init_command(app, ctx);
  add_belief_command(app, ctx);
  add_observe_command(app, ctx);
  add_search_command(app, ctx);
  add_status_command(app, ctx);
  add_scrape_command(app, ctx);
  add_symbol_command(app, ctx);
  add_sql_command(app, ctx);
  add_mcp_command(app, ctx);
  add_embeddings_command(app, ctx);
  add_sync_command(app, ctx);
  add_migrate_command(app, ctx);
}

}  // namespace patina::cli
