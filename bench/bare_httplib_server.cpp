// The baseline for bench/http_push.sh: cpp-httplib configured as flareq configures it,
// answering every POST with a constant and doing no work. Prints its port, then serves.
#include <httplib.h>

#include <iostream>

int main() {
  httplib::Server server;
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(30);
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  const std::string answer = R"({"success":true,"errors":[],"messages":[],"result":{}})";
  server.Post(".*", [&](const httplib::Request&, httplib::Response& res) { res.set_content(answer, "application/json"); });
  int port = server.bind_to_any_port("127.0.0.1");
  std::cout << port << std::endl;
  server.listen_after_bind();
}
