{
  "targets": [
    {
      "target_name": "tempa_native",
      "sources": ["src/napi.c", "src/threads.c", "src/gemm.c", "src/adamw.c", "src/gelu.c", "src/attention.c", "src/cached-attention.c", "src/norm-and-sum.c", "src/cross-entropy.c"],
      "cflags": ["-O3", "-std=c11", "-fno-trapping-math", "-fopenmp-simd", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", {
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas", "-lpthread", "-lm"]
        }],
        ["OS=='mac'", {
          "defines": ["TEMPA_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
