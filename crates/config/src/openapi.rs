//! REST APIs imported from OpenAPI 3 or Swagger 2 documents with API Gateway's extensions
//! (`x-amazon-apigateway-integration` and friends) into the [`crate::rest`] model.
