console.log("build-web placeholder")
