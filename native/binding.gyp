{
  "variables": {
    "system_blas%": "openblas"
  },
  "targets": [
    {
      "target_name": "tempa_native",
      "sources": ["src/napi.c", "src/threads.c", "src/gemm.c", "src/gemm-library.c", "src/sgemm.c", "src/micro-kernels.c", "src/adamw.c", "src/gelu.c", "src/attention.c", "src/cached-attention.c", "src/norm-and-sum.c", "src/cross-entropy.c"],
      "cflags": ["-O3", "-std=c11", "-fno-trapping-math", "-fopenmp-simd", "-Wall", "-Wextra"],
      "libraries": ["-lpthread", "-lm"],
      "conditions": [
        ["OS=='linux' and system_blas=='openblas'", {
          "defines": ["TEMPA_OPENBLAS"],
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas"]
        }],
        ["OS=='mac' and system_blas!='none'", {
          "defines": ["TEMPA_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
