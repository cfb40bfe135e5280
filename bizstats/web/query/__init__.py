"""The query API (数据查询接口): the marts over HTTP, paged, cached in
Redis, behind read API keys. `router.query_router(target)` is added to the app of
bizstats.web.app."""
