import { describe, expect, it } from "vitest";
import { checkConnection, keyDeploymentName, urlDeploymentName } from "../src/check.js";
import { ApiError, FakeConvex } from "./fake-api.js";

const config = { deployment_url: "https://happy-otter-123.convex.cloud", access_key: "prod:happy-otter-123|abc" };

describe("check", () => {
  it("succeeds when test_streaming_export_connection does", async () => {
    expect(await checkConnection(new FakeConvex(), config)).toEqual({ status: "SUCCEEDED" });
  });
  it("falls back to json_schemas on backends without the test route", async () => {
    const api = new FakeConvex();
    api.failNext.set("test_streaming_export_connection", new ApiError("NotFound", 404));
    expect(await checkConnection(api, config)).toEqual({ status: "SUCCEEDED" });
  });
  it("names the other deployment when the key belongs to one", async () => {
    const api = new FakeConvex();
    api.failNext.set("test_streaming_export_connection", new ApiError("BadAdminKey", 401));
    const r = await checkConnection(api, { ...config, access_key: "prod:sleepy-cat-9|abc" });
    expect(r.status).toBe("FAILED");
    expect(r.message).toMatch(/belongs to the deployment 'sleepy-cat-9'.*happy-otter-123/);
    expect(r.message).not.toContain("|abc");
  });
  it("reports other failures with the client's message", async () => {
    const api = new FakeConvex();
    api.failNext.set("test_streaming_export_connection", new ApiError("StreamingExportNotEnabled", 403));
    const r = await checkConnection(api, config);
    expect(r).toMatchObject({ status: "FAILED", message: expect.stringMatching(/StreamingExportNotEnabled/) });
  });
  it("reads deployment names from keys and URLs", () => {
    expect(keyDeploymentName("prod:happy-otter-123|0123")).toBe("happy-otter-123");
    expect(keyDeploymentName("happy-otter-123|0123")).toBe("happy-otter-123");
    expect(keyDeploymentName("opaque")).toBeUndefined();
    expect(urlDeploymentName("https://happy-otter-123.convex.cloud")).toBe("happy-otter-123");
    expect(urlDeploymentName("http://127.0.0.1:3210")).toBeUndefined();
  });
});
