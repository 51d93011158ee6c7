// MPI as the CPU collective engine (core/collective.h): Open MPI or an MPICH-ABI library (MPICH,
// Intel MPI, MVAPICH, Cray MPICH), found at run time with dlopen, so the prebuild needs no MPI at
// build time and uses the cluster's own. GRADLOOP_MPI_LIBRARY names a library to try first.
#pragma once
#include <memory>
#include <string>

#include "../core/collective.h"

namespace gradloop {

// Initialises MPI (MPI_THREAD_SERIALIZED) unless the host program did, and returns the engine over
// MPI_COMM_WORLD; every collective waits at most timeoutSeconds. Null when no MPI library loads
// (*tried: what dlopen said for each name tried); throws CollectiveError when one loads but fails.
std::unique_ptr<Collective> openMpi(double timeoutSeconds, std::string* tried);

}  // namespace gradloop
