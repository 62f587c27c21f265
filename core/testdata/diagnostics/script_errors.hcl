pipeline "inline" {
  source "http" {
    path                  = "/hooks/inline"
    allow_unauthenticated = true
  }

  transform "javascript" {
    code = <<-JS
      function transform(event) {
        const x = event.body;
        return { a: x.a, };
      }
      function broken( {
    JS
  }

  sink "log" "out" {}
}

pipeline "from-file" {
  source "http" {
    path                  = "/hooks/file"
    allow_unauthenticated = true
  }
  sink "log" "out" {
    transform "javascript" {
      file = "../scripts/broken.js"
    }
  }
}

pipeline "one-line" {
  source "http" {
    path                  = "/hooks/one-line"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = "function transform(e) { return e.; }"
  }
  sink "log" "out" {}
}
