{
  "targets": [
    {
      "target_name": "gradloop",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/core').filter(f => f.endsWith('.cc')).map(f => 'native/core/' + f).join(' ')\")",
        "native/ops/registry.cc",
        "<!@(node -p \"require('fs').readdirSync('native/collective').filter(f => f.endsWith('.cc')).map(f => 'native/collective/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/ops', { withFileTypes: true }).filter(d => d.isDirectory()).flatMap(d => ['op.cc', 'cpu.cc'].map(f => 'native/ops/' + d.name + '/' + f)).filter(f => require('fs').existsSync(f)).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/cpu').filter(f => f.endsWith('.cc')).map(f => 'native/cpu/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/binding').filter(f => f.endsWith('.cc')).map(f => 'native/binding/' + f).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<!(node native/gen-ops-def.cjs build/generated)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='linux'", {
          "include_dirs": ["<!(pkg-config --variable=includedir openblas 2>/dev/null || echo /usr/include/x86_64-linux-gnu/openblas-pthread)"],
          "libraries": ["<!(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)", "-ldl"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" },
          "include_dirs": ["<!(brew --prefix openblas)/include"],
          "libraries": ["-L<!(brew --prefix openblas)/lib", "-lopenblas"]
        }]
      ]
    }
  ]
}
