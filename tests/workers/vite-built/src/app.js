// The Worker's source: only Vite resolves this import (it is the framework's server build).
import build from "virtual:app/server-build";

export default build;
