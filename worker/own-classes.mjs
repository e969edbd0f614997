// The Worker's own classes that the runtime makes instances of, inside the runtime: each gets
// the env the Worker's handlers get (with its R2 bindings reporting their writes, its peers'
// bindings carrying the secret), and each of their methods runs with import { env } from
// "cloudflare:workers" meaning it. The Worker's Durable Object and Workflow classes are
// replaced among the module's exports by the gate (front-gate.mjs), which knows their names from
// the config; its named WorkerEntrypoint classes are changed where they are.
//
// It is plain JavaScript, also loaded by Node's tests.

export const CLASSES_MODULE = "__flareq_own_classes.mjs";

// envOf(env): the handlers' env made from the runtime's; withEnv(env, run): the runtime's, which
// runs `run` with import { env } meaning `env`; workers: the "cloudflare:workers" module.
export function ownClasses({ envOf, withEnv, workers }) {
  // A class the runtime makes instances of with (ctx, env), a Durable Object's or a Workflow's:
  // they get the env the handlers get, and each method of theirs (fetch(), alarm(), an RPC method,
  // a Workflow's run() and its steps) runs with import { env } meaning it. Anything but a class is
  // left as it is.
  const classEnvs = new WeakMap();  // instance → its env
  function ownClass(Base) {
    if (typeof Base !== "function" || !Base.prototype) return Base;
    const Own = class extends Base {
      constructor(ctx, env) {
        const e = envOf(env);
        withEnv(e, () => super(ctx, e));
        classEnvs.set(this, e);
      }
    };
    const isWorkflow = typeof workers.WorkflowEntrypoint === "function" && Base.prototype instanceof workers.WorkflowEntrypoint;
    // The methods of the class and its ancestors, up to the runtime's own base classes.
    const bases = [Object.prototype, workers.DurableObject?.prototype, workers.WorkflowEntrypoint?.prototype,
                   workers.WorkerEntrypoint?.prototype];
    for (const [name, descriptor] of methodsOf(Base.prototype, bases)) {
      const method = { [name](...args) {
        const e = classEnvs.get(this);
        const own = Base.prototype[name];
        if (e && name === "run" && isWorkflow) args[1] = stepsUnder(args[1], e);
        return e ? withEnv(e, () => own.apply(this, args)) : own.apply(this, args);
      } }[name];
      Object.defineProperty(Own.prototype, name, { ...descriptor, value: method });
    }
    Object.defineProperty(Own, "name", { value: Base.name });
    return Own;
  }

  // The Worker's named WorkerEntrypoint classes, which another Worker's service binding (or its
  // own, or ctx.exports) calls by name: the gate cannot take their place among the exports without
  // knowing their names as it is made, so their methods are changed where they are, each taking
  // the handlers' env on its way in (this.env, and import { env } while it runs). A constructor of
  // theirs still sees the runtime's env.
  const entrypointEnvs = new WeakMap();  // instance → its env
  const entrypointMethods = new WeakSet();  // the methods made here
  function ownEntrypoint(Entry) {
    const Base = workers.WorkerEntrypoint;
    if (typeof Base !== "function" || typeof Entry !== "function" || !(Entry.prototype instanceof Base)) return;
    for (const [name, descriptor] of methodsOf(Entry.prototype, [Base.prototype])) {
      if (entrypointMethods.has(descriptor.value)) continue;  // an exported ancestor's, made already
      const own = descriptor.value;
      const method = { [name](...args) {
        let e = entrypointEnvs.get(this);
        if (!e) {
          e = envOf(this.env);
          entrypointEnvs.set(this, e);
          try { this.env = e; } catch {}
        }
        return withEnv(e, () => own.apply(this, args));
      } }[name];
      entrypointMethods.add(method);
      try {
        Object.defineProperty(Entry.prototype, name, { ...descriptor, value: method });
      } catch {}  // a frozen prototype stays as it is (its writes are not seen) rather than fail the Worker's load
    }
  }

  // The methods of `proto` and its ancestors up to one of `stops`, as [name, descriptor]: each
  // name once, the nearest, constructors left out.
  function* methodsOf(proto, stops) {
    const seen = new Set(["constructor"]);
    for (; proto && !stops.includes(proto); proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, name);
        if (seen.has(name) || typeof descriptor.value !== "function") continue;
        seen.add(name);
        yield [name, descriptor];
      }
    }
  }

  // A Workflow's step as run() gets it: the runtime calls back each step.do()'s function from
  // outside run(), so the function is given the env again.
  function stepsUnder(step, e) {
    if (step === null || (typeof step !== "object" && typeof step !== "function")) return step;  // an RPC stub is a function
    return new Proxy(step, {
      // An RPC stub takes any property as a remote one (.bind, .apply): Reflect calls it.
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== "function") return value;
        if (key !== "do") return (...args) => Reflect.apply(value, target, args);
        return (...args) => {
          const last = args.length - 1;
          if (typeof args[last] === "function") {
            const callback = args[last];
            args[last] = (...given) => withEnv(e, () => callback(...given));
          }
          return Reflect.apply(value, target, args);
        };
      },
    });
  }

  return { ownClass, ownEntrypoint };
}
