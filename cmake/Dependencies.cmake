# Every dependency is a Debian package found through its own CMake config or pkg-config.
find_package(PkgConfig REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)  # double: the log-mel path
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)  # pictures (src/plot): PNG and SVG

# OpenBLAS: prefer the OpenMP build so BLAS and our kernels share one libgomp thread pool
# (the pthread build keeps its own spinning pool, which fights ours on a 2-core machine).
# Debian keeps it in its own folders; they are searched under each CMAKE_PREFIX_PATH entry first (an
# unpacked offline .deb prefix: tests/gpu/device_check.sh), then under /usr.
set(_openblas_lib_dirs "")
set(_openblas_inc_dirs "")
foreach(_prefix IN LISTS CMAKE_PREFIX_PATH ITEMS /usr)
  list(APPEND _openblas_lib_dirs "${_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
  list(APPEND _openblas_inc_dirs "${_prefix}/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
endforeach()
find_library(RWKVS_OPENBLAS_OMP_LIB NAMES openblas PATHS ${_openblas_lib_dirs} NO_DEFAULT_PATH)
find_path(RWKVS_OPENBLAS_OMP_INC cblas.h PATHS ${_openblas_inc_dirs} NO_DEFAULT_PATH)
add_library(rwkvs_blas INTERFACE)
if(RWKVS_OPENBLAS_OMP_LIB AND RWKVS_OPENBLAS_OMP_INC)
  target_link_libraries(rwkvs_blas INTERFACE "${RWKVS_OPENBLAS_OMP_LIB}")
  target_include_directories(rwkvs_blas INTERFACE "${RWKVS_OPENBLAS_OMP_INC}")
  set(RWKVS_BLAS_DESC "OpenBLAS(openmp)")
else()
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
  target_link_libraries(rwkvs_blas INTERFACE PkgConfig::OPENBLAS)
  set(RWKVS_BLAS_DESC "OpenBLAS(${OPENBLAS_VERSION}, not the OpenMP build)")
endif()

if(RWKVS_TESTS)
  find_package(doctest CONFIG REQUIRED)
  pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)  # test_plot parses the SVGs it draws
endif()

set(RWKVS_HAVE_MPI OFF)
if(RWKVS_MPI)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(RWKVS_HAVE_MPI ON)
  endif()
endif()

set(RWKVS_HAVE_CUDA OFF)
if(RWKVS_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)  # build hosts have no GPU: never 'native'
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(RWKVS_HAVE_CUDA ON)
  endif()
endif()

# The PyTorch oracles (shared/reference) and scripts/convert_pth.py need Debian's python3 with torch.
set(RWKVS_PYTHON "/usr/bin/python3" CACHE FILEPATH "Python with torch, for oracle-based tests")
set(RWKVS_HAVE_TORCH OFF)
if(EXISTS "${RWKVS_PYTHON}")
  execute_process(COMMAND "${RWKVS_PYTHON}" -c "import torch" RESULT_VARIABLE _torch_rc OUTPUT_QUIET ERROR_QUIET)
  if(_torch_rc EQUAL 0)
    set(RWKVS_HAVE_TORCH ON)
  endif()
endif()
