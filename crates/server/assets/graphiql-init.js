// Starts GraphiQL against this server's endpoint. Set the token in the Headers pane:
// {"Authorization": "Bearer <token>"}. Served from the binary, so the page needs no inline script.
(function () {
  if (!window.React || !window.ReactDOM || !window.GraphiQL) return;
  var fetcher = GraphiQL.createFetcher({ url: '/v3/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: 'headers',
      defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
    })
  );
})();
