// A second, independent SCIM 2.0 server for the live tests: SCIMMY with its
// Express routers, users and groups kept in memory. Listens on 127.0.0.1 at
// the port given as the first argument (0: a free one) under /v2, and
// prints the port once it listens.
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

/** An in-memory store of one resource type, as SCIMMY's three handlers. */
function store(Resource, unique) {
    const items = new Map();
    SCIMMY.Resources.declare(Resource)
        .ingress((resource, instance) => {
            const clash = [...items.values()].find(item => item[unique] === instance[unique] && item.id !== resource.id);
            if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} ${instance[unique]} is taken`);
            if (resource.id && !items.has(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            const id = resource.id ?? randomUUID();
            const now = new Date();
            const created = items.get(id)?.meta?.created ?? now;
            const item = {...instance, id, meta: {created, lastModified: now}};
            items.set(id, item);
            return item;
        })
        .egress((resource) => {
            if (resource.id) {
                if (!items.has(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return items.get(resource.id);
            }
            const all = [...items.values()];
            return resource.filter ? resource.filter.match(all) : all;
        })
        .degress((resource) => {
            if (!items.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        });
}

store(SCIMMY.Resources.User, "userName");
store(SCIMMY.Resources.Group, "displayName");
SCIMMY.Config.set({
    patch: true,
    filter: {supported: true, maxResults: 200},
    bulk: {supported: true, maxOperations: 1000, maxPayloadSize: 1048576},
    sort: false,
    etag: false,
    changePassword: false,
});

const app = express();
app.use("/v2", new SCIMMYRouters({type: "bearer", handler: () => "unbindsim-tests"}));
const server = app.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
    console.log(server.address().port);
});
