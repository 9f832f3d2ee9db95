{
  "targets": [
    {
      "target_name": "tempa_native",
      "sources": ["src/tempa_native.c"],
      "cflags": ["-O3", "-std=c11", "-fno-trapping-math", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", {
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas", "-lm"]
        }],
        ["OS=='mac'", {
          "defines": ["TEMPA_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
