// /queues/{id}/messages/pull and /ack: HTTP pull consumers (spec §5).
#include <httplib.h>

#include "emulator/core/error.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

Reply ApiServer::route_pull(const httplib::Request& req, Store&, const Queue&, std::string_view,
                            const RequestJson&) {
  throw Error(code::kNotFound, 404, "no route for POST " + req.path);
}

}  // namespace flareq::api
