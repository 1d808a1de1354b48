//! [`board_tasks!`](crate::board_tasks): the tasks every firmware runs.

/// Defines a firmware's tasks — the network stack, `http_workers` HTTP
/// workers, the MQTT connection, the timers — and `spawn_tasks`, which starts them all
/// with their buffers (in statics). The firmware crate must depend on
/// `embassy-executor`, `embassy-net` and `static_cell`.
///
/// ```text
/// jinn_embassy::board_tasks!(device: Ethernet, flash: Bank2, http_workers: 3,
///                            http: HttpBuffers<2048, 1024>, mqtt: MqttBuffers<1024, 1024, 2048>);
/// spawn_tasks(spawner, jinn, stack, runner)?;
/// jinn_embassy::board::announce(jinn, stack).await;
/// ```
#[macro_export]
macro_rules! board_tasks {
    (device: $device:ty, flash: $flash:ty, http_workers: $workers:expr, http: $http:ty, mqtt: $mqtt:ty $(,)?) => {
        #[embassy_executor::task]
        async fn net_task(mut runner: embassy_net::Runner<'static, $device>) -> ! {
            runner.run().await
        }

        #[embassy_executor::task(pool_size = $workers)]
        async fn http_task(
            jinn: &'static $crate::Jinn<$flash>,
            stack: embassy_net::Stack<'static>,
            id: usize,
            buffers: &'static mut $http,
        ) -> ! {
            $crate::http::serve(jinn, stack, id, buffers).await
        }

        #[embassy_executor::task]
        async fn mqtt_task(
            jinn: &'static $crate::Jinn<$flash>,
            stack: embassy_net::Stack<'static>,
            buffers: &'static mut $mqtt,
        ) -> ! {
            $crate::mqtt::run(jinn, stack, buffers).await
        }

        #[embassy_executor::task]
        async fn timer_task(jinn: &'static $crate::Jinn<$flash>) -> ! {
            $crate::timer::run(jinn).await
        }

        /// Starts the network task, the HTTP workers, the MQTT task and the timers.
        fn spawn_tasks(
            spawner: embassy_executor::Spawner,
            jinn: &'static $crate::Jinn<$flash>,
            stack: embassy_net::Stack<'static>,
            runner: embassy_net::Runner<'static, $device>,
        ) -> Result<(), embassy_executor::SpawnError> {
            static HTTP: static_cell::StaticCell<[$http; $workers]> =
                static_cell::StaticCell::new();
            static MQTT: static_cell::StaticCell<$mqtt> = static_cell::StaticCell::new();
            let http = HTTP.init([const { <$http>::new() }; $workers]);
            let mqtt = MQTT.init(<$mqtt>::new());
            spawner.spawn(net_task(runner)?);
            for (id, buffers) in http.iter_mut().enumerate() {
                spawner.spawn(http_task(jinn, stack, id, buffers)?);
            }
            spawner.spawn(mqtt_task(jinn, stack, mqtt)?);
            spawner.spawn(timer_task(jinn)?);
            Ok(())
        }
    };
}

/// Waits until the network is configured and logs where the device answers.
pub async fn announce<F: embedded_storage::nor_flash::NorFlash + 'static>(
    jinn: &crate::Jinn<F>,
    stack: embassy_net::Stack<'_>,
) {
    stack.wait_config_up().await;
    if let Some(config) = stack.config_v4() {
        info!(
            "jinn: {} functions, http://{}/healthz ({} ms after boot)",
            jinn.function_count(),
            config.address.address(),
            embassy_time::Instant::now().as_millis()
        );
    }
}
